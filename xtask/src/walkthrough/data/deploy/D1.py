import pandas as pd

# data url in ArcGIS Hub
data_url = "https://opendata.arcgis.com/api/v3/datasets/aaf4274109f34ffd93ac71267c5b276e_0/downloads/data?format=csv&spatialRefId=4326&where=1%3D1"
data = pd.read_csv(data_url, index_col=0, nrows=1000)
data.to_csv("outputs/Motorized-Foot-Scooter-Trips-2018.csv", index=False)

# import neccessary libraries
import mysql.connector
from mysql.connector import Error
import os

# Reading enviroment variables
mysql_user = os.getenv('MYSQL_USER')
mysql_password = os.getenv('MYSQL_PASSWORD')

# Creating MYSQL connection
try:
    mydb_connection = mysql.connector.connect(
    host="mysql-db",
    user=mysql_user,
    password=mysql_password)
    # Check connection
    if mydb_connection.is_connected():
        print("connection successfully")
        mycursor = mydb_connection.cursor()
        # Create database
        database_name = "scooter_trips"
        mycursor.execute(f"CREATE DATABASE {database_name}")

except Error:
    print("Error while connecting to MySQL", Error)
