try:
    mydb_connection = mysql.connector.connect(
    host="host.docker.internal",
    user=mysql_user,
    password=mysql_password,
    database="scooter_trips") # Added the created database to the connection

    # Check connection
    if mydb_connection.is_connected():
        print("connection successfully")
        mycursor = mydb_connection.cursor()
        mycursor.execute("SELECT database();")
        record = mycursor.fetchone()
        print("You're connected to database: ", record)
        table_name = "Motorized_Foot_Scooter_Trips_2021"
        mycursor.execute("CREATE TABLE Motorized_Foot_Scooter_Trips_2021 (TripID VARCHAR(255), TripDuration VARCHAR(255), TripDistance VARCHAR(255), StartTime VARCHAR(255), EndTime VARCHAR(255), StartCenterlineID VARCHAR(255), StartCenterlineType VARCHAR(255), EndCenterlineID VARCHAR(255), EndCenterlineType VARCHAR(255))")
        print(f"{table_name} table created")

except Error:
    print("Error while connecting to MySQL", Error)
