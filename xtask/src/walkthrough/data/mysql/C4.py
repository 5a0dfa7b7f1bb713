#Read data from output folder
data = pd.read_csv('outputs/Motorized-Foot-Scooter-Trips-2021.csv')

# Check connection
if mydb_connection.is_connected():
    for index, row in data.iterrows():
        sql = "INSERT INTO scooter_trips.Motorized_Foot_Scooter_Trips_2021 (TripID, TripDuration, TripDistance, StartTime, EndTime, StartCenterlineID, StartCenterlineType, EndCenterlineID, EndCenterlineType) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)"
        mycursor.execute(sql, list(row))
        # the connection is not auto committed by default, so we must commit to save our changes
        mydb_connection.commit()
