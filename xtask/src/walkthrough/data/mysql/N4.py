try:
    mydb_connection = mysql.connector.connect(
    host="mysql-db",
    user=mysql_user,
    password=mysql_password,
    database="scooter_trips") # Added the created database to the connection

    # Check connection
    if mydb_connection.is_connected():
        print("connection successfully")
        mycursor = mydb_connection.cursor()
        mycursor.execute("SELECT * FROM Motorized_Foot_Scooter_Trips_2018 limit 5")
        myresult = mycursor.fetchall()
        for x in myresult:
            print(x)
except Error:
    print("Error while connecting to MySQL", Error)
